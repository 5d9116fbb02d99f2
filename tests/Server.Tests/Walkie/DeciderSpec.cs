using Xunit.Sdk;

namespace WalkieTalkie.Server.Tests.Walkie;

/// <summary>Given(events) / When(command, now) / Then(events) for a decider that takes time as an input.</summary>
public sealed record DeciderSpec<TCommand, TState, TEvent>(
    Func<TCommand, TState, DateTimeOffset, TEvent[]> Decide,
    Func<TState, TEvent, TState> Evolve,
    TState Initial)
{
    public Arranged Given(params TEvent[] history) => new(this, history.Aggregate(Initial, Evolve));

    public sealed record Arranged(DeciderSpec<TCommand, TState, TEvent> Spec, TState State)
    {
        public Acted When(TCommand command, DateTimeOffset now)
        {
            try { return new(Spec, State, Spec.Decide(command, State, now), null); }
            catch (Exception e) { return new(Spec, State, [], e); }
        }
    }

    public sealed record Acted(DeciderSpec<TCommand, TState, TEvent> Spec, TState Before, TEvent[] Events, Exception? Error)
    {
        /// <summary>The state after the decided events; evolving them also proves they are a possible history.</summary>
        public TState After => Events.Aggregate(Before, Spec.Evolve);

        public Acted Then(params TEvent[] expected)
        {
            if (Error is not null) throw new XunitException($"Decide threw instead of deciding: {Error}");
            Assert.Equal(expected, Events);
            _ = After;
            return this;
        }

        public Acted ThenState(TState expected)
        {
            Assert.Equal(expected, After);
            return this;
        }

        public TException ThenThrows<TException>() where TException : Exception =>
            Assert.IsType<TException>(Error ?? throw new XunitException($"Decide returned [{string.Join(", ", Events)}] instead of throwing"));
    }
}
