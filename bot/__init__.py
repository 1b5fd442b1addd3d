"""Public-education chatbot for 《浙江省反间谍安全防范办法》."""

__version__ = "0.1.0"
