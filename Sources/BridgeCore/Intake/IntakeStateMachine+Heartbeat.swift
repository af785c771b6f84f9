// iotflow-bridge: how long an intake step may keep the MQTT loop away, for the watchdog.
// SPDX-License-Identifier: Apache-2.0

extension IntakeStateMachine.Action {
    /// The end of the wait this action announces (a reconnect backoff, a room recheck, a commit
    /// retry), which the MQTT loop's heartbeat vouches for; nil for an action that should end
    /// within a poll timeout (1 s).
    public var plannedWaitEnd: ContinuousClock.Instant? {
        if case .wait(let until) = self { return until }
        return nil
    }
}
