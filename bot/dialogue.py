"""The dialogue state: what the conversation so far tells about the next message, built once from the history the
client sends (the server keeps nothing between requests).
"""

from __future__ import annotations

from dataclasses import dataclass

from .corpus import Citation


@dataclass(frozen=True)
class Turn:
    """One earlier turn of the conversation, as the client sends it."""

    role: str  # user | bot
    text: str
    citations: tuple[Citation, ...] = ()  # bot turns: the articles that answer showed


@dataclass(frozen=True)
class DialogueState:
    """What a follow-up can refer to."""

    topic: str = ""  # the last substantive question, resolved ("那学生呢" after 单位… is 学生…); what a follow-up is about
    subject: str = ""  # who that question was about (a subjects.yaml name)
    shown: tuple[Citation, ...] = ()  # the articles the last answer showed: what "这条" means
    answers: tuple[str, ...] = ()  # the texts of the earlier answers, most recent last
    self_involved: bool = False  # the person said they themselves did something (sent photos, took money…)
    user_turns: int = 0

    @property
    def last_answer(self) -> str:
        """The text of the last answer."""
        return self.answers[-1] if self.answers else ""

    @property
    def is_empty(self) -> bool:
        """No earlier question to follow up on."""
        return not self.topic and not self.shown
