using System.Collections;

namespace Verify.IommuModel.Type1;

/// <summary>A live read-only view of a list through a projection: nothing is copied, so it costs no allocation per
/// change and always shows the source as it is now.</summary>
/// <typeparam name="TSource">The source's items.</typeparam>
/// <typeparam name="TResult">What a reader sees.</typeparam>
/// <param name="source">The list viewed.</param>
/// <param name="project">What each item shows as; it should be cheap (it runs on every read).</param>
internal sealed class ProjectedList<TSource, TResult>(IReadOnlyList<TSource> source, Func<TSource, TResult> project) : IReadOnlyList<TResult>
{
    /// <inheritdoc/>
    public int Count => source.Count;

    /// <inheritdoc/>
    public TResult this[int index] => project(source[index]);

    /// <inheritdoc/>
    public IEnumerator<TResult> GetEnumerator() => source.Select(project).GetEnumerator();

    /// <inheritdoc/>
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
