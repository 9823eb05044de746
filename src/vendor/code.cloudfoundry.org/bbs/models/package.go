package models // import "code.cloudfoundry.org/bbs/models"
