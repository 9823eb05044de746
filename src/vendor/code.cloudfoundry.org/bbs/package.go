package bbs // import "code.cloudfoundry.org/bbs"
