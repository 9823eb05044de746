package encryption // import "code.cloudfoundry.org/bbs/encryption"
