package fakeclock // import "code.cloudfoundry.org/clock/fakeclock"
