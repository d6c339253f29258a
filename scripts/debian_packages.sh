# Sourced by ./herald: `debian_packages NAME...` makes sure Debian packages are installed.
# (say() comes from ./herald.)

# Debian packages the services and the tests run: each is installed once when missing (as root), or
# named with the command that installs it. A test that needs one fails, never skips, without it.
# Packages whose programs are not on PATH are found where Debian puts them (HERALD_DEBIAN_LIBS stands in
# for /usr/lib in the tests of this function).
debian_packages() {
  local need=() package libs=${HERALD_DEBIAN_LIBS:-/usr/lib}
  for package in "$@"; do
    case "$package" in
      rabbitmq-server) [ -x "$libs/rabbitmq/bin/rabbitmq-server" ] || need+=("$package") ;;
      postgresql) compgen -G "$libs/postgresql/*/bin/postgres" >/dev/null || need+=("$package") ;;
      *) command -v "$package" >/dev/null 2>&1 || need+=("$package") ;;
    esac
  done
  [ ${#need[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian's ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    # A package may start a system-wide server; Herald's tests run private ones, so stop it.
    case " ${need[*]} " in *" rabbitmq-server "*) (service rabbitmq-server stop || true) >/dev/null 2>&1 ;; esac
    case " ${need[*]} " in *" postgresql "*) (service postgresql stop || true) >/dev/null 2>&1 ;; esac
  else
    say "missing Debian packages: run 'sudo apt-get install -y ${need[*]}'"
    exit 1
  fi
}
