// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* test_procctx.c - container ids from cgroup paths (procctx_container_id). */
#include <string.h>
#include "procctx.h"
#include "unit.h"

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void one(const char *path, const char *want)
{
	char out[PROCCTX_CONTAINER_MAX];
	int found = procctx_container_id(path, out, sizeof(out));

	ASSERT_INT(path, found, want != NULL);
	if (want)
		ASSERT_STR(path, out, want);
}

int main(void)
{
	one("/", NULL);
	one("/user.slice/user-0.slice/session-1.scope", NULL);
	one("/system.slice/docker-" H64 ".scope", H64);
	one("/docker/" H64, H64);
	one("/docker/" H64 "/init.scope", H64);
	one("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/"
	    "cri-containerd-" H64 ".scope", H64);
	one("/kubepods/burstable/pod1234/" H64, H64);
	one("/machine.slice/libpod-" H64 ".scope/container", H64);
	one("/machine.slice/libpod-conmon-" H64 ".scope", NULL);
	one("/system.slice/crio-" H64 ".scope", H64);
	one("/system.slice/crio-conmon-" H64 ".scope", NULL);
	one("/machine.slice/machine-web\\x2d1.scope/payload", "web-1");
	one("/machine.slice/systemd-nspawn@db.service", "db");
	one("/system.slice/docker-" H64 "0.scope", NULL);	  /* 65 hex */
	one("/system.slice/docker-0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef.scope",
	    NULL);						  /* upper case: not an id */
	one("/docker/abc", NULL);
	one("/a/" H64, NULL);					  /* a bare id under no runtime */
	one("/machine.slice/machine-.scope", NULL);
	return unit_summary("test_procctx");
}
