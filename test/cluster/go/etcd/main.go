// Command etcd is the etcd server, built from the published go.etcd.io/etcd/server/v3 module
// (etcd's own main module is not installable with `go install`: its go.mod uses relative replaces).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
