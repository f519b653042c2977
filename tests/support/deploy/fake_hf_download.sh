#!/bin/sh
# Stand-in for `huggingface-cli download <model>` in the tests: takes a moment, writes into HF_HOME,
# and counts its runs so the test can see that a finished download is not repeated.
set -eu
model="$1"
sleep 2
mkdir -p "$HF_HOME/hub/models--$(echo "$model" | sed 's#/#--#g')"
echo run >> "$HF_HOME/fake-download-runs"
