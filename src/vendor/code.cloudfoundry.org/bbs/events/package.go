package events // import "code.cloudfoundry.org/bbs/events"
