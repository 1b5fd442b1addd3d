"""The HTTP boundary's records: what requests may carry (bounded) and the shape of every response."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .normalize import strip_control

MAX_MESSAGE = 500  # characters of a question after trimming
MAX_TURNS = 10  # earlier turns a request may carry
MAX_SHOWN = 8  # citations a bot turn of the history may carry


def clean_text(text: str, what: str) -> str:
    """The text without control/invisible characters and outer blanks; ValueError when empty or too long."""
    text = strip_control(text).strip()
    if not text:
        raise ValueError(f"{what} must not be empty or blank")
    if len(text) > MAX_MESSAGE:
        raise ValueError(f"{what} is {len(text)} characters; at most {MAX_MESSAGE} are allowed")
    return text


# ---------------------------------------------------------------- requests


class ShownCitation(BaseModel):
    """An article an earlier bot turn showed (what "这条" refers to)."""

    model_config = ConfigDict(extra="forbid")
    doc_id: str = Field(max_length=40)
    article: int = Field(ge=1, le=9999)
    paragraph: int | None = Field(default=None, ge=1, le=99)
    item: int | None = Field(default=None, ge=1, le=99)


class HistoryTurn(BaseModel):
    """An earlier turn: who said it and what; a bot turn may say which articles it showed."""

    model_config = ConfigDict(extra="forbid")
    role: Literal["user", "bot"]
    text: str = Field(max_length=2 * MAX_MESSAGE)
    citations: list[ShownCitation] = Field(default_factory=list, max_length=MAX_SHOWN, description="bot turns: the articles shown")

    @field_validator("text")
    @classmethod
    def _text(cls, v: str) -> str:
        return clean_text(v, "history text")


class ChatRequest(BaseModel):
    """POST /api/chat body."""

    model_config = ConfigDict(extra="forbid")
    message: str = Field(description="the question, 1–500 characters", max_length=4 * MAX_MESSAGE)
    history: list[HistoryTurn] = Field(default_factory=list, max_length=MAX_TURNS, description="at most 10 earlier turns")
    lang: Literal["zh-Hans", "zh-Hant", "en"] | None = Field(
        default=None, description="answer in this language (the page's language switch); by default, in the message's own"
    )

    @field_validator("message")
    @classmethod
    def _message(cls, v: str) -> str:
        return clean_text(v, "message")


# ---------------------------------------------------------------- responses


class Problem(BaseModel):
    """Every error: what to fix, as one message or one per field."""

    detail: list[str] | str


class CitationOut(BaseModel):
    """A verbatim quotation of one article (or one 款 of it, or some 项 of that 款)."""

    doc_id: str
    title: str
    article: int
    label: str
    paragraph: int | None
    text: str
    url: str
    score: float
    current_law: str | None = None
    items: list[int] = Field(default_factory=list, description="the 项 of the paragraph this citation quotes, when it quotes items")
    label_en: str = Field("", description="what it quotes, in English, for English pages: the quoted text stays Chinese")


class ChannelOut(BaseModel):
    """An official reporting channel."""

    kind: str
    label: str
    value: str
    href: str = ""
    how: str = Field(default="", description="what to do to use this channel (letters, in person)")


class AnswerOut(BaseModel):
    """The answer object of SPEC.md."""

    intent: Literal["question", "report", "greeting", "out_of_scope"]
    answer: str
    citations: list[CitationOut]
    channels: list[ChannelOut]
    suggestions: list[str]
    confidence: float
    corpus_version: str
    coverage: Literal["full", "partial"] | None = Field(default=None, description="partial: the texts only partly answer it")
    lang: Literal["zh-Hans", "zh-Hant", "en"] = Field(default="zh-Hans", description="the language of `answer`")
    steps: list[str] = Field(default_factory=list, description="report answers: what to do now, one step each")


class DocOut(BaseModel):
    """One document the bot answers from."""

    doc_id: str
    title: str
    articles: int
    effective: str
    status: str
    primary: bool


class ArticleOut(BaseModel):
    """One article, verbatim: its paragraphs (款), each with its items (项) one per line."""

    doc_id: str
    title: str
    article: int
    label: str
    chapter: str
    text: str
    paragraphs: list[str]


class CitationRef(BaseModel):
    """A pointer into a document: article, optionally 款 and 项."""

    doc_id: str
    article: int
    paragraph: int | None = None
    item: int | None = None


class FaqOut(BaseModel):
    """One FAQ entry."""

    id: str
    topic: str
    audience: list[str]
    questions: list[str]
    answer: str
    citations: list[CitationRef]


class QuizItemOut(BaseModel):
    """A quiz item; `answer` is the index of the right option, `citation` the article that proves it."""

    id: str
    kind: Literal["choice", "judge"]
    question: str
    options: list[str]
    answer: int
    explanation: str
    citation: CitationRef


class QuizOut(BaseModel):
    """GET /api/quiz."""

    items: list[QuizItemOut]


class LessonArticleOut(BaseModel):
    """An article (or one 款 of it) a lesson theme shows, verbatim."""

    doc_id: str
    article: int
    label: str
    title: str
    text: str
    paragraphs: list[str]
    paragraph: int | None = None


class LessonStepOut(BaseModel):
    """One theme of the lesson."""

    theme: str
    title: str
    articles: list[LessonArticleOut]
    explanation: str
    faq_id: str | None = None
    check: QuizItemOut | None = None


class LessonOut(BaseModel):
    """GET /api/lesson."""

    steps: list[LessonStepOut]


class KioskConfigOut(BaseModel):
    """Settings the kiosk page reads (also rendered into the page itself)."""

    idle_seconds: int


class HealthOut(BaseModel):
    """GET /healthz."""

    status: Literal["ok"]


class ReadyOut(BaseModel):
    """GET /readyz: ready, with what it answers from; or (503) not ready."""

    status: Literal["ready", "not ready"]
    corpus_version: str | None = None
    encoder: str | None = None
