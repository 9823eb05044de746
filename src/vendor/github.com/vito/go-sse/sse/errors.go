package sse

import "errors"

var ErrSourceClosed = errors.New("source closed")
