using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;

namespace Verify.Commands;

/// <summary>docs/junit/junit.xsd, the JUnit form CI servers read, as a validator.</summary>
public static class JunitSchema
{
    private static readonly XmlSchemaSet Schemas = Load();

    /// <summary>Every way <paramref name="document"/> breaks the schema; empty when it is valid.</summary>
    public static IReadOnlyList<string> Problems(XDocument document)
    {
        var problems = new List<string>();
        document.Validate(Schemas, (_, e) => problems.Add($"{e.Severity}: {e.Message}"));
        return problems;
    }

    private static XmlSchemaSet Load()
    {
        var set = new XmlSchemaSet();
        using var reader = XmlReader.Create(Path.Combine(VerifyProcess.Repository, "docs", "junit", "junit.xsd"));
        set.Add(null, reader);
        set.Compile();
        return set;
    }
}
