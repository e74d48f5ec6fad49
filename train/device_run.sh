#!/usr/bin/env bash
# The reader's training run on a GPU machine: four layer counts at once (one process each, the GPU has
# room to spare), then the outputs packed into at most 8 files for the trip back.
# In: train/work/data (reader_data.py + base_weights.py). Out: $OUT/reader_L*.safetensors, $OUT/runs.tar.
set -uo pipefail
cd "$(dirname "$0")"
export PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/reader-out}
mkdir -p "$OUT"
nvidia-smi -L
python3 -c "import torch, transformers; print('torch', torch.__version__, 'transformers', transformers.__version__)"
began=$(date +%s)
for L in ${LAYERS:-4 6 8 12}; do
  python3 train_reader.py --data work/data --base work/data/base.npz --out "$OUT/run_L$L" --layers "$L" \
    --save 6 8 --half --epochs "${EPOCHS:-3}" --batch 32 --lr 1e-4 --log-every 400 >"$OUT/run_L$L.log" 2>&1 &
done
wait
echo "all runs done in $(( $(date +%s) - began )) s"
tail -n 4 "$OUT"/run_L*.log
mv "$OUT"/run_L*/reader_L*.safetensors "$OUT"/ 2>/dev/null
(cd "$OUT" && tar cf runs.tar run_L* && rm -rf run_L*)
ls -la "$OUT"
