using System.Collections.Immutable;
using System.Text.Json;

namespace Verify.Harness.Scenarios;

/// <summary>
/// How one step kind reads and writes (docs/scenario-format.md): its JSON key, every field its body may hold, and the
/// two directions. Each step record holds its codec next to it; <see cref="StepKinds"/> lists them, and the reader,
/// the writer and the schema test are lookups over that list.
/// </summary>
public abstract class StepCodec
{
    private protected StepCodec(string kind, ImmutableArray<string> fields)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        Kind = kind;
        Fields = fields;
    }

    /// <summary>The step's key in JSON (<c>define</c>, <c>commit</c>, <c>pt-map</c>, ...).</summary>
    public string Kind { get; }

    /// <summary>Every field the step's body may hold, in the order the writer writes them.</summary>
    public ImmutableArray<string> Fields { get; }

    /// <summary>The record type the codec reads.</summary>
    public abstract Type StepType { get; }

    /// <summary>Reads a step's body strictly; the caller refuses fields the codec did not ask for.</summary>
    /// <param name="body">The body.</param>
    /// <returns>The step, without expectations or note.</returns>
    internal abstract ScenarioStep Read(JsonWalker body);

    /// <summary>Whether this codec writes <paramref name="step"/> (several kinds may share one record type).</summary>
    /// <param name="step">A step.</param>
    /// <returns>Whether it is this codec's.</returns>
    internal abstract bool Writes(ScenarioStep step);

    /// <summary>Writes a step's body fields into the open body object.</summary>
    /// <param name="step">A step this codec writes.</param>
    /// <param name="writer">The writer.</param>
    internal abstract void Write(ScenarioStep step, Utf8JsonWriter writer);

    /// <inheritdoc/>
    public override string ToString() => Kind;
}

/// <summary>The codec of step record <typeparamref name="T"/>.</summary>
/// <typeparam name="T">The record.</typeparam>
public sealed class StepCodec<T> : StepCodec
    where T : ScenarioStep
{
    private readonly Func<JsonWalker, T> _read;
    private readonly Action<T, Utf8JsonWriter> _write;
    private readonly Func<T, bool> _writes;

    internal StepCodec(string kind, ImmutableArray<string> fields, Func<JsonWalker, T> read, Action<T, Utf8JsonWriter> write, Func<T, bool>? writes = null)
        : base(kind, fields)
    {
        _read = read;
        _write = write;
        _writes = writes ?? (_ => true);
    }

    /// <inheritdoc/>
    public override Type StepType => typeof(T);

    internal override ScenarioStep Read(JsonWalker body) => _read(body);

    internal override bool Writes(ScenarioStep step) => step is T t && _writes(t);

    internal override void Write(ScenarioStep step, Utf8JsonWriter writer) => _write((T)step, writer);
}
