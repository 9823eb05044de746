// Command standin runs one of the cell stand-ins of package standins:
//
//	standin rep|route-emitter|bosh-agent [flags]
package main

import (
	"os"

	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/standins"
)

func main() { os.Exit(standins.Main(os.Args[1:])) }
