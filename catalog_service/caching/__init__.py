"""The shared response cache: generations, stampede protection, a circuit breaker."""
