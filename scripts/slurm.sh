#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for `ubimoe sweep --scheduler slurm` and its tests
# (docs/sweep.md). Needs root and Debian's slurm-wlm + munge (apt-get install slurm-wlm munge).
#
#   scripts/slurm.sh up     munge key + munged, slurm.conf (this host = controller and only node,
#                           its CPUs and memory), slurmctld + slurmd; waits until sinfo shows the
#                           node idle; prints the SLURM_CONF line to export
#   scripts/slurm.sh down   stops the daemons this script started (by the pids it recorded) and
#                           nothing else
#   scripts/slurm.sh status
#
# Everything lives in $UBIMOE_SLURM_DIR (default /tmp/ubimoe-slurm): config, munge key and socket,
# state, logs, pid files. $UBIMOE_SLURM_PORT (default 6817) is slurmctld's port, +1 slurmd's, so a
# second cluster (the tests') can run beside the one `npm run slurm:up` starts. When
# /etc/slurm/slurm.conf does not exist, `up` links it to ours (plain sbatch then finds it) and
# `down` removes that link again (UBIMOE_SLURM_ETC_LINK=0: never; the tests' cluster does not).
set -euo pipefail

DIR="${UBIMOE_SLURM_DIR:-/tmp/ubimoe-slurm}"
PORT="${UBIMOE_SLURM_PORT:-6817}"
CONF="$DIR/slurm.conf"
ETC_LINK=/etc/slurm/slurm.conf
WAIT_S="${UBIMOE_SLURM_WAIT_S:-120}"

die() { echo "slurm.sh: $*" >&2; exit 1; }
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

need() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (slurmd runs jobs as their users; munged needs its key owned by root)"
  for exe in munged slurmctld slurmd sinfo; do
    command -v "$exe" >/dev/null || [ -x "/usr/sbin/$exe" ] ||
      die "$exe not found: apt-get -o DPkg::Lock::Timeout=600 install -y slurm-wlm munge"
  done
}

write_conf() {
  local host cpus mem
  host="$(hostname -s)"
  cpus="$(nproc)"
  # leave a tenth of the memory to the system; jobs asking --mem beyond the rest stay pending
  mem="$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)"
  cat >"$CONF.tmp" <<EOF
# written by scripts/slurm.sh: a one-node test cluster ($host is controller and node)
ClusterName=ubimoe
SlurmctldHost=$host
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$DIR/munge/munge.socket
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool/slurmd-%n
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
# scancel: SIGTERM, then SIGKILL after 5 s; finished jobs stay in scontrol for 10 minutes
KillWait=5
MinJobAge=600
SlurmdTimeout=60
InactiveLimit=0
# a job without --mem gets its CPUs' share of the memory (not the whole node)
DefMemPerCPU=$((mem / cpus))
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  mv "$CONF.tmp" "$CONF"
}

up() {
  need
  if pid_alive "$DIR/slurmctld.pid" && pid_alive "$DIR/slurmd.pid"; then
    echo "slurm.sh: already up ($DIR)"
  else
    mkdir -p "$DIR/munge" "$DIR/state" "$DIR/spool" "$DIR/log"
    chmod 700 "$DIR/munge"
    if [ ! -f "$DIR/munge/munge.key" ]; then
      head -c 1024 /dev/urandom >"$DIR/munge/munge.key.tmp"
      chmod 400 "$DIR/munge/munge.key.tmp"
      mv "$DIR/munge/munge.key.tmp" "$DIR/munge/munge.key"
    fi
    if ! pid_alive "$DIR/munge/munged.pid"; then
      /usr/sbin/munged --force --key-file="$DIR/munge/munge.key" --socket="$DIR/munge/munge.socket" \
        --pid-file="$DIR/munge/munged.pid" --log-file="$DIR/log/munged.log" --seed-file="$DIR/munge/munge.seed"
    fi
    write_conf
    if [ "${UBIMOE_SLURM_ETC_LINK:-1}" = 1 ] && [ ! -e "$ETC_LINK" ] && [ -d /etc/slurm ]; then
      ln -s "$CONF" "$ETC_LINK"
      echo "$ETC_LINK" >"$DIR/etc-link"
    fi
    export SLURM_CONF="$CONF"
    pid_alive "$DIR/slurmctld.pid" || /usr/sbin/slurmctld -i -f "$CONF"
    pid_alive "$DIR/slurmd.pid" || /usr/sbin/slurmd -f "$CONF"
  fi
  export SLURM_CONF="$CONF"
  # wait for the node to register and be idle (bounded; the daemons' logs tell why not)
  local i state=""
  for ((i = 0; i < WAIT_S * 4; i++)); do
    state="$(sinfo -h -N -o '%T' 2>/dev/null | head -1 || true)"
    [ "$state" = "idle" ] && break
    sleep 0.25
  done
  if [ "$state" != "idle" ]; then
    echo "slurm.sh: the node is not idle after ${WAIT_S} s (state '${state:-unknown}'); logs:" >&2
    tail -n 20 "$DIR/log/slurmctld.log" "$DIR/log/slurmd.log" "$DIR/log/munged.log" >&2 2>/dev/null || true
    exit 1
  fi
  echo "slurm.sh: one-node cluster up: $(sinfo -h -N -o '%N %c CPUs %m MB %T'); config $CONF"
  echo "export SLURM_CONF=$CONF"
}

stop_pid() {
  local f=$1 name=$2 pid i
  [ -f "$f" ] || return 0
  pid="$(cat "$f")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 200; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    echo "slurm.sh: stopped $name ($pid)"
  fi
  rm -f "$f"
}

down() {
  [ -d "$DIR" ] || { echo "slurm.sh: nothing to stop ($DIR does not exist)"; return 0; }
  # cancel what is still queued or running on our cluster, so no job outlives it
  if [ -f "$CONF" ] && pid_alive "$DIR/slurmctld.pid"; then
    SLURM_CONF="$CONF" scancel --full --quiet --partition=debug 2>/dev/null || true
  fi
  stop_pid "$DIR/slurmd.pid" slurmd
  stop_pid "$DIR/slurmctld.pid" slurmctld
  stop_pid "$DIR/munge/munged.pid" munged
  if [ -f "$DIR/etc-link" ]; then
    link="$(cat "$DIR/etc-link")"
    [ -L "$link" ] && [ "$(readlink "$link")" = "$CONF" ] && rm -f "$link"
    rm -f "$DIR/etc-link"
  fi
}

status() {
  [ -f "$CONF" ] || { echo "slurm.sh: no cluster configured in $DIR"; exit 1; }
  SLURM_CONF="$CONF" sinfo -N
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: scripts/slurm.sh up|down|status" >&2; exit 2 ;;
esac
