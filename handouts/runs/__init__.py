"""Many handouts: schedules as clinics export them, a whole day's batch, and the worker processes."""
