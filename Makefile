# perpkit pipeline on the bundled sample. Each step is a file target, so make redoes only what
# changed: edit a source file and the build reruns; touch nothing and `make demo` just prints.
#   make demo            build, load the sample into $(DATA), summarise it, build features and labels
#                        (1h, all perps), and run the leakage check on them
#   make demo DATA=/tmp/pk
DATA    ?= data
PERPKIT := node bin/run.js
STAMPS  := $(DATA)/.make

SRC          := $(shell find src queries -type f) package.json tsconfig.json tsconfig.build.json
SAMPLE_FILES := $(shell find data/sample -type f -name '*.parquet')

.PHONY: demo build test clean-demo

TF       ?= 1h
HORIZONS ?= 1h,4h,24h

demo: $(DATA)/datasets.json $(STAMPS)/features-$(TF) $(STAMPS)/labels-$(TF) $(STAMPS)/leakage-$(TF)
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

# Step 3: point-in-time features on the bar closes of $(TF).
$(STAMPS)/features-$(TF): $(STAMPS)/sample
	$(PERPKIT) features --data-dir $(DATA) --timeframe $(TF)
	@touch $@

# Step 4: forward-return labels, a separate dataset.
$(STAMPS)/labels-$(TF): $(STAMPS)/sample
	$(PERPKIT) features --labels --data-dir $(DATA) --timeframe $(TF) --horizons $(HORIZONS)
	@touch $@

# Step 5: the leakage harness over the perp/spot window (no feature may see the future).
$(STAMPS)/leakage-$(TF): $(STAMPS)/features-$(TF)
	$(PERPKIT) features --check-leakage --cutoffs 20 --data-dir $(DATA) --timeframe $(TF) --from 2026-03-01 --to 2026-04-14
	@touch $@

test: dist/.built
	npx vitest run

clean-demo:
	rm -rf $(STAMPS) $(DATA)/datasets.json
