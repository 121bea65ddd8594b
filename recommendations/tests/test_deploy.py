"""The compose stack retrains the recommender beside the web service."""

from pathlib import Path

import yaml
from django.conf import settings

COMPOSE = Path(settings.BASE_DIR) / "docker-compose.yml"


def test_compose_trainer_retrains_periodically_with_the_web_services_data() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    trainer, web = services["trainer"], services["web"]
    script = trainer["command"][-1]

    assert trainer["image"] == web["image"]
    for name in ("DJANGO_ENV", "DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY"):
        assert trainer["environment"][name] == web["environment"][name]
    assert trainer["depends_on"] == {"web": {"condition": "service_healthy"}}
    assert "while true" in script
    assert "python manage.py train_recommender" in script
    assert 'sleep "$$RECOMMENDER_RETRAIN_SECONDS"' in script
    assert trainer["restart"] == "unless-stopped"
