# telecollect: the two commands of the README, and a few more.
#   make run    install what is missing, build, serve on 127.0.0.1:8080 with a demo preprod token
#   make test   install what is missing, build, run every test (unit, end-to-end, ASan+UBSan, fuzz)
#   make bench  run the benchmarks under bench/ (installs wrk, nginx, influxdb, postgresql-15)

BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all deps build run test bench clean

all: build

deps:
	@scripts/install-deps.sh build

build: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTELECOLLECT_TESTS=ON >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	@scripts/run.sh $(BUILD)/src/cli/telecollect

test:
	@scripts/install-deps.sh test
	@scripts/test.sh

bench: build
	@scripts/install-deps.sh bench
	@$(BUILD)/store_write_bench
	@$(BUILD)/decode_bench .
	@bench/files.sh $(BUILD)
	@$(BUILD)/pull_bench
	@bench/push.sh $(BUILD)/src/cli/telecollect
	@bench/query.sh $(BUILD)/src/cli/telecollect
	@bench/cluster.sh $(BUILD)/src/cli/telecollect
	@bench/console.sh $(BUILD)/src/cli/telecollect
	@bench/mqtt.sh $(BUILD)/src/cli/telecollect

clean:
	rm -rf build build-asan build-fuzz
