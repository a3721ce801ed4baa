"""Baseline (b): a chat relay written the way the Channels tutorial teaches it.

AsyncWebsocketConsumer, stdlib json, `channels_redis.core.RedisChannelLayer` with
`group_send`, and one `database_sync_to_async` ORM create per message. Its own
settings module and table (in the benchmark database), so nothing of ours is used.
"""
