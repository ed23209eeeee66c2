from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from ..core.schemas import StrictModel


class PresetInfo(BaseModel):
    base_model: str
    description: str
    capabilities: list[str]
    visibility: Literal["private", "public"]


class ModelOut(BaseModel):
    id: str = Field(description="What to pass as `model`: the connection's prefix + upstream id")
    name: str
    owned_by: str
    connection_id: str | None = Field(description="The connection that serves it")
    connection_name: str | None
    kind: Literal["openai", "ollama", "local"] | None
    embedding: bool = Field(
        default=False,
        description="A model known to make embeddings only (the local embedding model): it "
        "answers the compatible APIs' embeddings, not chats",
    )
    preset: PresetInfo | None = Field(default=None, description="Set when this is a preset")
    created: int | None = Field(
        default=None,
        description="When it was made, in Unix seconds: as its server says (Ollama: when it "
        "was pulled), when the local model's files were written, or when the preset was "
        "made; null when unknown",
    )


class ModelList(BaseModel):
    items: list[ModelOut]
    errors: dict[str, str] = Field(
        default_factory=dict,
        description="What cannot be offered now: a connection that could not be listed, or "
        "'Preset <name>' whose base model is gone -> why",
    )


# What every request upstream carries as this server wrote it.
_SET_BY_SERVER = frozenset({"model", "messages", "stream", "stream_options", "prompt"})


StopSequence = Annotated[str, Field(max_length=1000)]


def response_format_problem(value: Any) -> str | None:
    """What OpenAI's ``response_format`` is that ``value`` is not, or None. Other types than
    OpenAI's own (vLLM's structural_tag, say) are the upstream's to judge."""
    wanted = "an object with a 'type' (and a 'json_schema' object for json_schema)"
    if not isinstance(value, dict) or not isinstance(value.get("type"), str):
        return wanted
    if value["type"] == "json_schema" and not isinstance(value.get("json_schema"), dict):
        return wanted
    return None


class Params(StrictModel):
    """Sampling parameters, passed upstream as they are; unknown ones are refused by name."""

    # Strict: true is not 1, nor "5" five; a wrong type is refused by name, not guessed at.
    temperature: float | None = Field(default=None, ge=0, le=2, strict=True)
    # 0 keeps the likeliest token alone, as OpenAI takes it (and the settings form offers).
    top_p: float | None = Field(default=None, ge=0, le=1, strict=True)
    top_k: int | None = Field(default=None, ge=1, strict=True)
    max_tokens: int | None = Field(default=None, ge=1, le=1_000_000, strict=True)
    stop: StopSequence | Annotated[list[StopSequence], Field(max_length=64)] | None = None
    seed: int | None = Field(default=None, ge=-(2**63), le=2**63 - 1, strict=True)
    presence_penalty: float | None = Field(default=None, ge=-2, le=2, strict=True)
    frequency_penalty: float | None = Field(default=None, ge=-2, le=2, strict=True)
    num_ctx: int | None = Field(default=None, ge=1, strict=True)
    repeat_penalty: float | None = Field(default=None, ge=0, strict=True)
    response_format: dict[str, Any] | None = None
    options: dict[str, Any] = Field(
        default_factory=dict, description="Any other upstream option, passed as it is"
    )

    @model_validator(mode="before")
    @classmethod
    def _typed_options(cls, data: Any) -> Any:
        """An option named as one of the fields above is that field, checked as it is: passed
        on unchecked, a wrong one ({"temperature": "hot"}) failed every answer instead."""
        options = data.get("options") if isinstance(data, dict) else None
        if not isinstance(options, dict):
            return data
        typed = [k for k in options if k in cls.model_fields and k != "options"]
        if not typed:
            return data
        twice = [k for k in typed if data.get(k) is not None]
        if twice:
            raise ValueError(
                f"{', '.join(map(repr, twice))} given both as a field and in 'options'"
            )
        rest = {k: v for k, v in options.items() if k not in typed}
        return {**data, **{k: options[k] for k in typed}, "options": rest}

    @field_validator("response_format")
    @classmethod
    def _openais(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        # Checked as the compatible APIs check it: a preset's would fail its every answer.
        problem = None if value is None else response_format_problem(value)
        if problem:
            raise ValueError(f"must be {problem}")
        return value

    @field_validator("options")
    @classmethod
    def _not_ours(cls, options: dict[str, Any]) -> dict[str, Any]:
        taken = sorted(_SET_BY_SERVER.intersection(options))
        if taken:
            raise ValueError(f"{', '.join(map(repr, taken))} cannot be set: the server sets it")
        return options

    def upstream(self) -> dict[str, Any]:
        values = self.model_dump(exclude_none=True, exclude={"options"})
        return {**self.options, **values}
