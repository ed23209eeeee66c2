"""A tiny Hugging Face causal LM built on the fly, so local-model tests need no download.

The tokenizer is a word-level vocabulary trained on a few sentences; the model is a randomly
initialised two-layer Llama. Its output is nonsense, but it exercises the same code paths as a
real model (chat template, streaming, stopping, token counts) in well under a second.
"""

from __future__ import annotations

from pathlib import Path

SENTENCES = [
    "the quick brown fox jumps over the lazy dog",
    "hello there how are you today",
    "jupyter notebooks run code cells one at a time",
    "a small model writes words that make little sense",
    "stop here and say nothing more",
    "red green blue yellow orange purple black white",
    "one two three four five six seven eight nine ten",
]

SPECIAL_TOKENS = ["<unk>", "<pad>", "<s>", "</s>", "<|system|>", "<|user|>", "<|assistant|>"]

# Enough to look like a real template: role markers, an end-of-turn token, a generation prompt.
CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for m in messages %}<|{{ m['role'] }}|> {{ m['content'] }} </s> {% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def build_tiny_model(
    folder: Path,
    *,
    chat_template: bool = True,
    ends_after: int | None = None,
    seed: int = 0,
    context: int = 8192,
) -> Path:
    """Write a tokenizer and a random tiny Llama into ``folder``; return the folder.

    Random weights would end an answer (emit EOS) at some arbitrary step. The saved generation
    config pins that down: by default the model never ends on its own, so only ``max_tokens``
    or a stop stops it; with ``ends_after=n`` it writes ``n`` tokens and then EOS.
    """
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)

    raw = Tokenizer(models.WordLevel(unk_token="<unk>"))
    raw.pre_tokenizer = pre_tokenizers.Whitespace()
    raw.train_from_iterator(SENTENCES, trainers.WordLevelTrainer(special_tokens=SPECIAL_TOKENS))
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=raw,
        unk_token="<unk>",
        pad_token="<pad>",
        bos_token="<s>",
        eos_token="</s>",
        additional_special_tokens=SPECIAL_TOKENS[4:],
    )
    if chat_template:
        tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(folder)

    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        # Long enough that a test can cancel an answer well before the model runs out of room.
        max_position_embeddings=context,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    # A fixed seed makes the weights, and so every greedy answer, the same on each run.
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    eos = tokenizer.eos_token_id
    if ends_after is None:
        model.generation_config.suppress_tokens = [eos]
    else:
        model.generation_config.min_new_tokens = ends_after
        model.generation_config.sequence_bias = [[[eos], 100.0]]
    model.save_pretrained(folder)
    return folder
