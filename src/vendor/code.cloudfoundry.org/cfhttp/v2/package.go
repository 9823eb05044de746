package cfhttp // import "code.cloudfoundry.org/cfhttp/v2"
