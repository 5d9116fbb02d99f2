namespace WalkieTalkie.Server.Walkie.Stream.Relay;

/// <summary>
/// A connection's outgoing frames in order, control messages and audio together (so `floor.idle` never overtakes the
/// last frames of a burst). Control messages are never dropped; audio is bounded: when full, the oldest audio frame
/// goes (a slow listener loses its own oldest audio, nobody else's). Not thread-safe: the connection locks around it.
/// </summary>
sealed class OutgoingQueue(int maxAudio)
{
    RelayFrame?[] _ring = new RelayFrame?[Math.Max(4, maxAudio + 4)];
    int _head, _count, _audio;

    public bool IsEmpty => _count == 0;

    /// <summary>Appends a frame (the queue takes the caller's reference); false when an older audio frame was dropped for it.</summary>
    public bool Enqueue(RelayFrame frame)
    {
        var dropped = false;
        if (frame.IsAudio && _audio >= maxAudio) dropped = DropOldestAudio();
        if (_count == _ring.Length) Grow();
        _ring[(_head + _count) % _ring.Length] = frame;
        _count++;
        if (frame.IsAudio) _audio++;
        return !dropped;
    }

    /// <summary>Moves up to <c>batch.Length</c> frames into <paramref name="batch"/>; with <paramref name="controlOnly"/> audio is released instead.</summary>
    public int Take(RelayFrame[] batch, bool controlOnly = false)
    {
        var n = 0;
        while (_count > 0 && n < batch.Length)
        {
            var frame = _ring[_head];
            _ring[_head] = null;
            _head = (_head + 1) % _ring.Length;
            _count--;
            if (frame!.IsAudio) _audio--;
            if (controlOnly && frame.IsAudio) frame.Release();
            else batch[n++] = frame;
        }
        return n;
    }

    /// <summary>Releases everything still queued (the connection is gone).</summary>
    public void Clear()
    {
        for (var i = 0; i < _count; i++) _ring[(_head + i) % _ring.Length]?.Release();
        Array.Clear(_ring);
        (_head, _count, _audio) = (0, 0, 0);
    }

    bool DropOldestAudio()
    {
        for (var i = 0; i < _count; i++)
        {
            var at = (_head + i) % _ring.Length;
            if (_ring[at] is not { IsAudio: true } oldest) continue;
            // Close the gap (rare: a slow listener), so a stalled connection's queue stays bounded.
            for (var j = i; j < _count - 1; j++) _ring[(_head + j) % _ring.Length] = _ring[(_head + j + 1) % _ring.Length];
            _ring[(_head + _count - 1) % _ring.Length] = null;
            _count--;
            _audio--;
            oldest.Release();
            return true;
        }
        return false;
    }

    void Grow()
    {
        var grown = new RelayFrame?[_ring.Length * 2];
        for (var i = 0; i < _count; i++) grown[i] = _ring[(_head + i) % _ring.Length];
        (_ring, _head) = (grown, 0);
    }
}
