"""What the user sees: pure renderers from figures (dataclasses) to Telegram HTML, JSON,
PNG, CSV and XLSX, and every fixed sentence. Nothing here touches Telegram's objects."""
