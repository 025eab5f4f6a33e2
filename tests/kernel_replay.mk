# kernel-replay gate: included from the top-level Makefile (after the
# flavour rules that build $(BUILD)/vmaplab).
#   make kernel-replay-gate          replay corpus/kernel/linux-6.18-x86_64 and
#                                    corpus/capture with generation 4, compare
#                                    with the baseline
#   make kernel-replay-gate-update   rewrite bench/baseline/kernel_replay.json
.PHONY: kernel-replay-gate kernel-replay-gate-update
kernel-replay-gate: $(BUILD)/vmaplab
	@RUN="$(RUN)" bash scripts/kernel_replay_gate.sh $<
kernel-replay-gate-update: $(BUILD)/vmaplab
	@RUN="$(RUN)" bash scripts/kernel_replay_gate.sh --update $<
