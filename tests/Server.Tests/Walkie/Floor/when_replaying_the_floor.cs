namespace WalkieTalkie.Server.Tests.Walkie.Floor;

using WalkieTalkie.Server.Walkie.Floor;
using static FloorSpec;

public sealed class when_replaying_the_floor
{
    [Fact]
    public void replaying_the_decided_events_gives_the_state_the_decisions_were_made_on()
    {
        var commands = new (FloorDeciderCommand Command, DateTimeOffset At)[]
        {
            (Request(Alice), T0), (Request(Bob), At(1)), (Request(Carol), At(2)), (Request(Dave), At(3)),
            (Release(Carol, 0), At(4)), (EndOfMediaDue(1, At(3)), At(7)), (Request(Carol), At(8)),
            (Preempt(Alice, 100, 0), At(9)), (MaxTalkDue(3), At(39)), (Revoke(Dave, RevokeReason.LeftRoom), At(40)),
            (Release(Carol, 5), At(41)), (Request(Bob), At(42)),
        };
        var state = FloorState.Initial;
        var history = new List<FloorEvent>();
        foreach (var (command, at) in commands)
        {
            var events = FloorDecider.Decide(command, state, at);
            state = events.Aggregate(state, FloorDecider.Evolve);
            history.AddRange(events);
            Assert.Equal(state, FloorDecider.Replay(history));
        }
        Assert.Equal(Taken(Bob, 6, At(42)), state);
    }

    public static TheoryData<string, FloorEvent[]> ImpossibleHistories => new()
    {
        { "a grant while taken", [.. AliceHolds(), Granted(Bob, 2, At(5))] },
        { "a second holder by hand-over without a release", [.. AliceHolds(Bob), Granted(Bob, 2, At(5), GrantKind.QueueHandOver)] },
        { "a grant that skips an epoch", [Granted(Alice, 2, T0)] },
        { "a grant that repeats an epoch", [.. AliceHolds(), Released(Alice, 1, At(5)), Idle(1, "released", At(5)), Granted(Bob, 1, At(6))] },
        { "a hand-over to someone not at the head of the queue", [.. AliceHolds(Bob, Carol), Released(Alice, 1, At(5)), Granted(Carol, 2, At(5), GrantKind.QueueHandOver)] },
        { "a hand-over grant on an idle floor", [Granted(Alice, 1, T0, GrantKind.QueueHandOver)] },
        { "a release by a device that does not hold", [.. AliceHolds(Bob), Released(Bob, 1, At(5))] },
        { "a release of a stale epoch", [.. AliceHolds(), Released(Alice, 0, At(5))] },
        { "a release of an idle floor", [Released(Alice, 0, T0)] },
        { "a revoke of a device that does not hold", [.. AliceHolds(), Revoked(Bob, 1, RevokeReason.LeftRoom, At(5))] },
        { "the holder queued", [.. AliceHolds(), Queued(Alice, 1, At(5))] },
        { "a device queued twice", [.. AliceHolds(Bob), Queued(Bob, 2, At(5))] },
        { "a queue position that is not the end", [.. AliceHolds(Bob), Queued(Carol, 1, At(5))] },
        { "a queue on an idle floor", [Queued(Bob, 1, T0)] },
        { "leaving a queue one is not in", [.. AliceHolds(Bob), LeftQueue(Carol, LeaveReason.Released, At(5))] },
        { "a skip outside a hand-over", [.. AliceHolds(Bob), LeftQueue(Bob, LeaveReason.SkippedIneligible, At(5))] },
        { "a skip of someone not at the head", [.. AliceHolds(Bob, Carol), Released(Alice, 1, At(5)), LeftQueue(Carol, LeaveReason.SkippedIneligible, At(5))] },
        { "idle while taken", [.. AliceHolds(), Idle(1, "released", At(5))] },
        { "idle while devices still wait", [.. AliceHolds(Bob), Released(Alice, 1, At(5)), Idle(1, "released", At(5))] },
        { "a denial on an idle floor", [Denied(Bob, Alice, T0)] },
        { "a denial naming the wrong holder", [.. AliceHolds(), Denied(Bob, Carol, At(5))] },
    };

    [Theory]
    [MemberData(nameof(ImpossibleHistories))]
    public void an_impossible_history_fails_loudly(string because, FloorEvent[] history)
    {
        var error = Record.Exception(() => FloorDecider.Replay(history));
        Assert.True(error is InvalidOperationException { Message: var m } && m.StartsWith("Impossible floor history"),
            $"{because}: expected an impossible-history error, got {error?.ToString() ?? "none"}");
    }

    [Fact]
    public void deciding_on_a_stream_that_ends_mid_hand_over_fails_loudly() =>
        Given([.. AliceHolds(Bob), Released(Alice, 1, At(5))])
            .When(Request(Carol), At(6))
            .ThenThrows<InvalidOperationException>();
}
