# perpkit pipeline on the bundled sample. Each step is a file target, so make redoes only what
# changed: edit a source file and the build reruns; touch nothing and `make demo` just prints.
#   make demo            build, load the sample into $(DATA), validate it (quarantine), build features
#                        and labels (1h, all perps), run the leakage check, write a holdout split,
#                        research H1-H6, backtest the regime strategy on the validation segment,
#                        optimise it walk-forward over a small grid, and render the tear sheets
#                        (HTML) of the backtest, the research run and the optimisation
#   make research        only up to the research run;  make report: up to the reports
#   make demo DATA=/tmp/pk
DATA    ?= data
PERPKIT := node bin/run.js
STAMPS  := $(DATA)/.make

SRC          := $(shell find src queries -type f) package.json tsconfig.json tsconfig.build.json
SAMPLE_FILES := $(shell find data/sample -type f -name '*.parquet')

.PHONY: demo build test clean-demo research report

TF       ?= 1h
HORIZONS ?= 1h,4h,24h

demo: $(DATA)/datasets.json $(STAMPS)/leakage-$(TF) $(DATA)/splits/demo-$(TF).json $(DATA)/reports/backtest-$(TF).json $(DATA)/reports/optimize-$(TF).json $(DATA)/reports/demo-$(TF).report.json
	@node scripts/demo-summary.mjs $(DATA) $(TF)

research: $(DATA)/reports/research-$(TF).json
report: $(DATA)/reports/demo-$(TF).report.json

build: dist/.built

dist/.built: $(SRC)
	npm run --silent build
	@touch $@

# Step 1: load the bundled sample (idempotent: a re-run leaves identical data).
$(STAMPS)/sample: dist/.built $(SAMPLE_FILES)
	$(PERPKIT) fetch --source sample --data-dir $(DATA)
	@mkdir -p $(STAMPS) && touch $@

# Step 2: summary of what is stored (JSON, for later steps and for people).
$(DATA)/datasets.json: $(STAMPS)/sample
	@mkdir -p $(@D)
	$(PERPKIT) datasets --data-dir $(DATA) --json > $@.tmp && mv $@.tmp $@

# Step 3: data-quality gates; offending rows go to the quarantine, which later steps exclude.
$(DATA)/reports/validate.json: $(STAMPS)/sample
	@mkdir -p $(@D)
	$(PERPKIT) validate --data-dir $(DATA) --json > $@.tmp && mv $@.tmp $@

# Step 4: point-in-time features on the bar closes of $(TF).
$(STAMPS)/features-$(TF): $(DATA)/reports/validate.json
	$(PERPKIT) features --data-dir $(DATA) --timeframe $(TF)
	@touch $@

# Step 5: forward-return labels, a separate dataset.
$(STAMPS)/labels-$(TF): $(DATA)/reports/validate.json
	$(PERPKIT) features --labels --data-dir $(DATA) --timeframe $(TF) --horizons $(HORIZONS)
	@touch $@

# Step 6: the leakage harness over the perp/spot window (no feature may see the future).
$(STAMPS)/leakage-$(TF): $(STAMPS)/features-$(TF)
	$(PERPKIT) features --check-leakage --cutoffs 20 --data-dir $(DATA) --timeframe $(TF) --from 2026-03-01 --to 2026-04-14
	@touch $@

# Step 7: a chronological 60/20/20 holdout split with buffers and a sealed test segment. The demo
# splits the window where the sample has spot bars (2026-03-14 .. 2026-04-13) so that train and
# validation hold basis features, with a 25 h buffer (longest label 24 h + one bar): the default
# buffer (longest label + longest feature lookback, 1,368 h at 1h) would not fit two months.
SPLIT_FROM   ?= 2026-03-01
SPLIT_BUFFER ?= 25h
$(DATA)/splits/demo-$(TF).json: $(STAMPS)/features-$(TF) $(STAMPS)/labels-$(TF)
	$(PERPKIT) split --name demo-$(TF) --scheme holdout --timeframe $(TF) --from $(SPLIT_FROM) --buffer $(SPLIT_BUFFER) --data-dir $(DATA) --replace

# Step 8: research, every hypothesis (H1-H6) on the validation segment: ICs with Newey-West errors,
# BH/Holm, incrementality, the settlement event study; one ledger trial. The JSON keeps its run id.
$(DATA)/reports/research-$(TF).json: $(DATA)/splits/demo-$(TF).json
	@mkdir -p $(@D)
	$(PERPKIT) research --split demo-$(TF) --data-dir $(DATA) --json > $@.tmp && mv $@.tmp $@

# Step 9: the regime strategy (seed §6.1B) backtested on the validation segment (JSON: run id, metrics).
$(DATA)/reports/backtest-$(TF).json: $(DATA)/splits/demo-$(TF).json
	@mkdir -p $(@D)
	$(PERPKIT) backtest --strategy regime --split demo-$(TF) --segment validation --data-dir $(DATA) --json > $@.tmp && mv $@.tmp $@

# Step 10: walk-forward optimisation of the regime strategy over its default grid (18 cells) inside
# the split's train + validation: 14-day training and 7-day test windows; every (window, cell) is a
# ledger trial; PBO, Deflated Sharpe, parameter stability and the overfitting warnings.
$(DATA)/reports/optimize-$(TF).json: $(DATA)/splits/demo-$(TF).json
	@mkdir -p $(@D)
	$(PERPKIT) optimize --strategy regime --split demo-$(TF) --train 14d --test 7d --data-dir $(DATA) --json > $@.tmp && mv $@.tmp $@

# Step 11: the tear sheets: the backtest's (the demo's report) and the research run's, self-contained HTML.
runid = $(shell node -p "JSON.parse(require('fs').readFileSync('$(1)', 'utf8')).run_id")
$(DATA)/reports/demo-$(TF).report.json: $(DATA)/reports/backtest-$(TF).json $(DATA)/reports/research-$(TF).json $(DATA)/reports/optimize-$(TF).json
	$(PERPKIT) report --research $(call runid,$(DATA)/reports/research-$(TF).json) --data-dir $(DATA) --out $(DATA)/reports/research-$(TF).html --quiet > /dev/null
	$(PERPKIT) report --optimize $(call runid,$(DATA)/reports/optimize-$(TF).json) --data-dir $(DATA) --out $(DATA)/reports/optimize-$(TF).html --quiet > /dev/null
	$(PERPKIT) report --run $(call runid,$(DATA)/reports/backtest-$(TF).json) --data-dir $(DATA) --out $(DATA)/reports/demo-$(TF).html --json > $@.tmp && mv $@.tmp $@

test: dist/.built
	npx vitest run

clean-demo:
	rm -rf $(STAMPS) $(DATA)/datasets.json $(DATA)/reports/validate.json $(DATA)/reports/research-$(TF).json $(DATA)/reports/backtest-$(TF).json $(DATA)/reports/optimize-$(TF).json $(DATA)/reports/demo-$(TF).report.json
