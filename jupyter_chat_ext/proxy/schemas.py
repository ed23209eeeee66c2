"""The compatible APIs' simple responses, as models for the OpenAPI document. Chat and embedding
bodies are the upstream formats themselves, passed on as they are, so they have no model here."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class OpenAIModel(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = Field(default=0, description="When it was made, in Unix seconds; 0 if unknown")
    owned_by: str


class OpenAIModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[OpenAIModel]


class OpenAIErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class OpenAIError(BaseModel):
    error: OpenAIErrorDetail


class OllamaModelDetails(BaseModel):
    parent_model: str = ""
    format: str = ""
    family: str
    families: list[str]
    parameter_size: str = ""
    quantization_level: str = ""


class OllamaModel(BaseModel):
    name: str
    model: str
    modified_at: str
    size: int
    digest: str
    details: OllamaModelDetails


class OllamaTags(BaseModel):
    models: list[OllamaModel]


class OllamaRunningModel(BaseModel):
    """As Ollama's ps shows a model: no ``modified_at``, and when it will be dropped."""

    name: str
    model: str
    size: int
    digest: str
    details: OllamaModelDetails
    expires_at: str
    size_vram: int
    context_length: int = 0


class OllamaRunning(BaseModel):
    models: list[OllamaRunningModel]


class OllamaVersion(BaseModel):
    version: str


class OllamaError(BaseModel):
    error: str
