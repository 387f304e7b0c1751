#!/usr/bin/env bash
# A single-node Kafka (KRaft: broker and controller in one JVM) on loopback, for the stream tests and benches.
#
#   kafka.sh fetch                        the broker's jars into .cache/kafka/libs (Maven, once)
#   kafka.sh start DIR PORT CTRL_PORT     formats DIR as a fresh log dir, starts the broker on 127.0.0.1:PORT
#                                         (controller on CTRL_PORT), waits until it listens; DIR/pid holds its pid
#   kafka.sh stop DIR                     stops it (SIGTERM, then SIGKILL after 15 s) and removes DIR
#
# The jars are org.apache.kafka:kafka_2.13 and its runtime dependencies, resolved by `mvn` from the machine's
# Maven configuration (Maven Central by default). Needs Java 17+ and Maven.
set -euo pipefail
# shellcheck source=process.sh
. "$(dirname "$0")/process.sh"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
KAFKA_VERSION="${GRAPHSERVE_KAFKA_VERSION:-4.1.1}"
CACHE="$ROOT/.cache/kafka"
LIBS="$CACHE/libs-$KAFKA_VERSION"
START_TIMEOUT_S=90

fetch() {
  [ -f "$LIBS/.complete" ] && return 0
  mkdir -p "$CACHE"
  exec 9>"$CACHE/.fetch.lock"
  flock 9
  [ -f "$LIBS/.complete" ] && return 0
  local work="$CACHE/fetch-$$"
  mkdir -p "$work"
  cat >"$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>graphserve.test</groupId>
  <artifactId>kafka-broker</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
  </dependencies>
</project>
POM
  (cd "$work" && mvn -q -B dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$work/libs" >&2)
  rm -rf "$LIBS"
  mv "$work/libs" "$LIBS"
  rm -rf "$work"
  touch "$LIBS/.complete"
}

start() {
  local dir="$1" port="$2" ctrl="$3"
  fetch
  rm -rf "$dir"
  mkdir -p "$dir/data"
  cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$ctrl
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$ctrl
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
share.coordinator.state.topic.replication.factor=1
PROPS
  cat >"$dir/log4j2.properties" <<LOG
rootLogger.level=WARN
rootLogger.appenderRef.out.ref=out
appender.out.type=Console
appender.out.name=out
appender.out.layout.type=PatternLayout
appender.out.layout.pattern=[%d] %p %m (%c)%n
LOG
  local java_opts=(-Xms256m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto
    "-Dlog4j2.configurationFile=$dir/log4j2.properties")
  java "${java_opts[@]}" -cp "$LIBS/*" kafka.tools.StorageTool format -t "$(cat /proc/sys/kernel/random/uuid | tr -d - | head -c 22)" \
    -c "$dir/server.properties" >"$dir/format.log" 2>&1 || {
    cat "$dir/format.log" >&2
    exit 1
  }
  nohup java "${java_opts[@]}" -cp "$LIBS/*" kafka.Kafka "$dir/server.properties" >"$dir/kafka.log" 2>&1 &
  echo $! >"$dir/pid"
  for _ in $(seq 1 $((START_TIMEOUT_S * 4))); do
    if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
      echo "kafka.sh: the broker exited at start:" >&2
      tail -20 "$dir/kafka.log" >&2
      exit 1
    fi
    if (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.25
  done
  echo "kafka.sh: the broker did not listen on $port within ${START_TIMEOUT_S} s" >&2
  stop "$dir"
  exit 1
}

stop() {
  stop_broker "$1" 15
}

case "${1:-}" in
  fetch) fetch ;;
  start) start "$2" "$3" "$4" ;;
  stop) stop "$2" ;;
  *)
    echo "usage: kafka.sh fetch | start DIR PORT CTRL_PORT | stop DIR" >&2
    exit 2
    ;;
esac
