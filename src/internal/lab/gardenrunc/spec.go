package gardenrunc

// ociSpec builds the runc config.json of a fixture container: busybox on a
// shared read-only rootfs, garden's cgroup layout (garden/<handle>), its
// own pid, ipc, uts and mount namespaces, and either a fresh network
// namespace (runc brings up lo) or the one at netnsPath.
func ociSpec(handle, rootfs, netnsPath string, args, env []string) map[string]any {
	netns := map[string]any{"type": "network"}
	if netnsPath != "" {
		netns["path"] = netnsPath
	}
	caps := []string{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETUID", "CAP_SETGID", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER"}
	return map[string]any{
		"ociVersion": "1.0.2-dev",
		"process": map[string]any{
			"terminal": false,
			"user":     map[string]any{"uid": 0, "gid": 0},
			"args":     args,
			"env":      env,
			"cwd":      "/",
			"capabilities": map[string]any{
				"bounding":  caps,
				"effective": caps,
				"permitted": caps,
			},
			"rlimits":         []any{map[string]any{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}},
			"noNewPrivileges": true,
		},
		"root":     map[string]any{"path": rootfs, "readonly": true},
		"hostname": shortHostname(handle),
		"mounts": []any{
			map[string]any{"destination": "/proc", "type": "proc", "source": "proc"},
			map[string]any{"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			map[string]any{"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}},
			map[string]any{"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
			map[string]any{"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": []string{"nosuid", "noexec", "nodev", "ro"}},
			map[string]any{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": []string{"nosuid", "nodev", "mode=1777", "size=16m"}},
		},
		"linux": map[string]any{
			"cgroupsPath": "garden/" + handle,
			"resources":   map[string]any{"devices": []any{map[string]any{"allow": false, "access": "rwm"}}},
			"namespaces": []any{
				map[string]any{"type": "pid"},
				netns,
				map[string]any{"type": "ipc"},
				map[string]any{"type": "uts"},
				map[string]any{"type": "mount"},
			},
			"maskedPaths":   []string{"/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug", "/sys/firmware"},
			"readonlyPaths": []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"},
		},
	}
}

func shortHostname(handle string) string {
	if len(handle) > 63 {
		return handle[:63]
	}
	return handle
}
