from django.apps import AppConfig


class BaselinesConfig(AppConfig):
    name = "loadtests.baselines"
    label = "bench_baselines"
    verbose_name = "Benchmark baselines"
