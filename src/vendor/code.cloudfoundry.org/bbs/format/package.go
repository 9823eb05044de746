package format // import "code.cloudfoundry.org/bbs/format"
