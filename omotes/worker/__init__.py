"""The worker: takes jobs from the queues of its workflows and runs each in a child process."""
