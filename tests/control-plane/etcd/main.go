// Command etcd starts etcd's server from the published go.etcd.io/etcd/server/v3
// module. etcd's own main package lives in the go.etcd.io/etcd/v3 root module,
// which cannot be built from the module proxy alone, so this three-line main
// calls the same entry point.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
