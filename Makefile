# perpkit pipeline on the bundled sample. Each step is a file target, so make redoes only what
# changed: edit a source file and the build reruns; touch nothing and `make demo` just prints.
#   make demo            build, load the sample into $(DATA), summarise it
#   make demo DATA=/tmp/pk
DATA    ?= data
PERPKIT := node bin/run.js
STAMPS  := $(DATA)/.make

SRC          := $(shell find src queries -type f) package.json tsconfig.json tsconfig.build.json
SAMPLE_FILES := $(shell find data/sample -type f -name '*.parquet')

.PHONY: demo build test clean-demo

demo: $(DATA)/datasets.json
	@$(PERPKIT) datasets --data-dir $(DATA)

build: dist/.built

dist/.built: $(SRC)
	npx tsc -p tsconfig.build.json
	@touch $@

# Step 1: load the bundled sample (idempotent: a re-run leaves identical data).
$(STAMPS)/sample: dist/.built $(SAMPLE_FILES)
	$(PERPKIT) fetch --source sample --data-dir $(DATA)
	@mkdir -p $(STAMPS) && touch $@

# Step 2: summary of what is stored (JSON, for later steps and for people).
$(DATA)/datasets.json: $(STAMPS)/sample
	$(PERPKIT) datasets --data-dir $(DATA) --json > $@.tmp && mv $@.tmp $@

test: dist/.built
	npx vitest run

clean-demo:
	rm -rf $(STAMPS) $(DATA)/datasets.json
