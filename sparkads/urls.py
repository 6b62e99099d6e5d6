from __future__ import annotations

app_name = "sparkads"
urlpatterns: list = []
