"""The training monitor records what it is told and draws without a notebook around it."""
from dlscratch.progress import TrainingMonitor


def test_monitor_counts_epochs_and_keeps_history():
    monitor = TrainingMonitor(epochs=3, metrics=("train loss", "test loss"), plot=False)
    seen = []
    for epoch in monitor:
        seen.append(epoch)
        monitor.log(**{"train loss": 1.0 / (epoch + 1), "test loss": 2.0 / (epoch + 1)})
    assert seen == [0, 1, 2]
    assert monitor.history == {"train loss": [1.0, 0.5, 1 / 3], "test loss": [2.0, 1.0, 2 / 3]}


def test_monitor_plots_into_an_updatable_display(monkeypatch):
    updates = []

    class FakeDisplay:
        def update(self, image):
            updates.append(image.data[:8])

    monkeypatch.setattr("dlscratch.progress._new_display", lambda: FakeDisplay())
    monitor = TrainingMonitor(epochs=2, redraw_every=0)
    for epoch in monitor:
        monitor.log(loss=1.0 - epoch * 0.5)
    assert updates and all(u == b"\x89PNG\r\n\x1a\n" for u in updates)
