"""Builds the tiny local model the real-engine tests serve: nothing can come from a model hub here.

A byte-level BPE tokenizer trained on the Python standard library's own sources (on every machine),
a chat template, and a random-weight LlamaForCausalLM (2 layers, hidden 128): under 1M parameters.
Outputs are gibberish, but greedy sampling makes them deterministic, which is what tests need.
Usage: python build_model.py OUT_DIR
"""
import glob
import os
import sys
import sysconfig

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

VOCAB = 2048
SEED = 1234
SPECIAL = ["<|begin|>", "<|end|>", "<|pad|>"]
# Role markers as plain text, then the content; the generation prompt opens the assistant turn.
CHAT_TEMPLATE = (
    "{% for m in messages %}<|begin|>{{ m['role'] }}\n{{ m['content'] }}<|end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|begin|>assistant\n{% endif %}"
)


def training_text():
    stdlib = sysconfig.get_paths()["stdlib"]
    files = sorted(glob.glob(os.path.join(stdlib, "*.py")))[:200]
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as f:
            yield f.read()


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=VOCAB, special_tokens=SPECIAL, initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(training_text(), trainer=trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|begin|>", eos_token="<|end|>", pad_token="<|pad|>")
    fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(out_dir)

    torch.manual_seed(SEED)
    config = LlamaConfig(
        vocab_size=tok.get_vocab_size(),
        hidden_size=128,
        intermediate_size=256,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=2048,
        bos_token_id=tok.token_to_id("<|begin|>"),
        eos_token_id=tok.token_to_id("<|end|>"),
        pad_token_id=tok.token_to_id("<|pad|>"),
        tie_word_embeddings=False,
        torch_dtype="float32",
    )
    model = LlamaForCausalLM(config)
    model.save_pretrained(out_dir, safe_serialization=True)
    params = sum(p.numel() for p in model.parameters())
    print(f"build_model: {params} parameters, vocab {tok.get_vocab_size()}, in {out_dir}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1])
