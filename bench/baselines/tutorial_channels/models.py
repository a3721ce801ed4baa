from django.db import models


class ChatMessage(models.Model):
    room = models.CharField(max_length=64)
    sender = models.CharField(max_length=64)
    body = models.TextField()
    client_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "bench_tutorial_message"

    def __str__(self) -> str:
        return f"{self.room}: {self.body[:40]}"
