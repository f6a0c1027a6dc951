"""Desktop integration on Linux: MPRIS media keys and screensaver inhibition over D-Bus."""
