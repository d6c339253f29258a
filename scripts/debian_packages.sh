# Sourced by ./herald: `debian_packages NAME...` makes sure Debian packages are installed.
# (say() comes from ./herald.)

# Debian packages the services and the tests run: each is installed once when missing (as root), or
# named with the command that installs it. A test that needs one fails, never skips, without it.
debian_packages() {
  local need=() package
  for package in "$@"; do
    case "$package" in
      rabbitmq-server) [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || need+=("$package") ;;
      *) command -v "$package" >/dev/null 2>&1 || need+=("$package") ;;
    esac
  done
  [ ${#need[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian's ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    # The package may start a system-wide node; Herald runs private ones, so stop it.
    case " ${need[*]} " in *" rabbitmq-server "*) (service rabbitmq-server stop || true) >/dev/null 2>&1 ;; esac
  else
    say "missing Debian packages: run 'sudo apt-get install -y ${need[*]}'"
    exit 1
  fi
}
