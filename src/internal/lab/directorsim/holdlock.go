package directorsim

import "sync"

// HoldLock starts a task of kind (a Kind* constant) on dep that takes the
// deployment lock and holds it until release is called, as a long health
// monitor scan-and-fix or an operator's `bosh cck` does. The default task
// listing (verbose=1) hides cck kinds, as the director's does; GET /locks
// shows the lock. It returns the task's id once the lock is held.
func (s *Simulator) HoldLock(kind, description, dep string) (taskID int, release func()) {
	held := make(chan struct{})
	stop := make(chan struct{})
	var once sync.Once
	t := s.startTask(kind, description, dep, "", func(r *taskRun) (string, error) {
		release, err := r.s.acquireDeploymentLock(r, dep, s.opts.LockWait)
		if err != nil {
			close(held)
			return "", err
		}
		defer release()
		close(held)
		<-stop
		return "held the lock", nil
	})
	<-held
	return t.id, func() { once.Do(func() { close(stop) }) }
}
