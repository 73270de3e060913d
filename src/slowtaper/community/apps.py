from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


class CommunityConfig(AppConfig):
    name = "slowtaper.community"
    label = "community"

    def ready(self) -> None:
        from . import search_index

        pre_migrate.connect(search_index.drop, sender=self, dispatch_uid="community_search_index_drop")
        post_migrate.connect(search_index.ensure, sender=self, dispatch_uid="community_search_index")
