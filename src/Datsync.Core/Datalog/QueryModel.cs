using System.Runtime.CompilerServices;

namespace Datsync.Core;

// The parsed form of a query: find elements, input bindings and clauses. Terms stay EDN values: a variable is a
// Symbol starting with '?', a source one starting with '$', '_' is a blank, anything else is a constant.

internal static class Terms
{
    public static readonly Symbol Blank = new("_");
    public static readonly Symbol DefaultSource = new("$");
    public static readonly Symbol RulesVar = new("%");
    public static readonly Symbol Ellipsis = new("...");
    public static readonly Symbol Dot = new(".");

    public static bool IsVar(object? o) => o is Symbol { Namespace: null } s && s.Name.Length > 1 && s.Name[0] == '?';
    public static bool IsSource(object? o) => o is Symbol { Namespace: null } s && s.Name.Length > 0 && s.Name[0] == '$';
    public static bool IsBlank(object? o) => o is Symbol { Namespace: null, Name: "_" };
    public static bool IsRules(object? o) => o is Symbol { Namespace: null, Name: "%" };
    public static bool IsConst(object? o) => o is not Symbol || !IsVar(o) && !IsBlank(o) && !IsSource(o) && !IsRules(o);
}

/// <summary>How a value fills variables: an input of <c>:in</c> or a function's result.</summary>
internal abstract record Binding
{
    public abstract void CollectVars(List<Symbol> into);
}
internal sealed record BindScalar(Symbol Var) : Binding
{
    public override void CollectVars(List<Symbol> into) { if (!into.Contains(Var)) into.Add(Var); }
}
internal sealed record BindIgnore : Binding
{
    public static readonly BindIgnore Instance = new();
    public override void CollectVars(List<Symbol> into) { }
}
internal sealed record BindTuple(Binding[] Items) : Binding
{
    public override void CollectVars(List<Symbol> into) { foreach (var b in Items) b.CollectVars(into); }
}
internal sealed record BindColl(Binding Item) : Binding
{
    public override void CollectVars(List<Symbol> into) => Item.CollectVars(into);
}
internal sealed record BindSource(Symbol Name) : Binding
{
    public override void CollectVars(List<Symbol> into) { }
}
internal sealed record BindRules : Binding
{
    public static readonly BindRules Instance = new();
    public override void CollectVars(List<Symbol> into) { }
}

internal abstract class Clause(object form)
{
    /// <summary>The clause as written, for error messages.</summary>
    public object Form { get; } = form;

    /// <summary>Every variable the clause mentions.</summary>
    public abstract IEnumerable<Symbol> Vars { get; }

    public override string ToString() => EdnPrinter.Print(Form);
}

internal sealed class PatternClause(object form, Symbol source, object?[] terms) : Clause(form)
{
    public Symbol Source { get; } = source;
    /// <summary>e, a, v, tx (shorter patterns leave the rest blank).</summary>
    public object?[] Terms { get; } = terms;
    public override IEnumerable<Symbol> Vars => Terms.Where(Datsync.Core.Terms.IsVar).Cast<Symbol>().Distinct();
}

internal sealed class FunctionClause(object form, Symbol fn, object?[] args, Binding? binding) : Clause(form)
{
    public Symbol Fn { get; } = fn;
    public object?[] Args { get; } = args;
    /// <summary>Null for a predicate.</summary>
    public Binding? Binding { get; } = binding;
    public IEnumerable<Symbol> ArgVars => (Terms.IsVar(Fn) ? Args.Prepend(Fn) : Args).Where(Terms.IsVar).Cast<Symbol>().Distinct();
    public List<Symbol> OutVars
    {
        get
        {
            var l = new List<Symbol>();
            Binding?.CollectVars(l);
            return l;
        }
    }
    public override IEnumerable<Symbol> Vars => ArgVars.Concat(OutVars).Distinct();
}

internal sealed class NotClause(object form, Symbol source, Symbol[]? joinVars, Clause[] body) : Clause(form)
{
    public Symbol Source { get; } = source;
    public Symbol[]? JoinVars { get; } = joinVars;
    public Clause[] Body { get; } = body;
    public override IEnumerable<Symbol> Vars => JoinVars ?? Body.SelectMany(c => c.Vars).Distinct();
}

internal sealed class OrClause(object form, Symbol source, Symbol[] joinVars, int required, Clause[][] branches, bool isJoin) : Clause(form)
{
    public Symbol Source { get; } = source;
    /// <summary>The variables the branches share with the query: or-join's, or every variable of an or.</summary>
    public Symbol[] JoinVars { get; } = joinVars;
    /// <summary>How many leading join variables must be bound (<c>(or-join [[?a] ?b] ...)</c>).</summary>
    public int Required { get; } = required;
    public Clause[][] Branches { get; } = branches;
    public bool IsJoin { get; } = isJoin;
    public override IEnumerable<Symbol> Vars => JoinVars;
}

internal sealed class RuleCall(object form, Symbol name, object?[] args) : Clause(form)
{
    public Symbol Name { get; } = name;
    public object?[] Args { get; } = args;
    public override IEnumerable<Symbol> Vars => Args.Where(Terms.IsVar).Cast<Symbol>().Distinct();
}

internal abstract record FindElem;
internal sealed record FindVar(Symbol Var) : FindElem;
internal sealed record FindPull(Symbol Source, Symbol Var, object? Pattern) : FindElem;
internal sealed record FindAggregate(Symbol Fn, object?[] Args, object Form) : FindElem
{
    /// <summary>The aggregated variable (the last argument).</summary>
    public Symbol Var => (Symbol)Args[^1]!;
}

internal enum FindShape { Relation, Collection, Scalar, Tuple }

internal sealed record ParsedQuery(
    FindShape Shape,
    FindElem[] Find,
    object?[]? ReturnKeys,
    Symbol[] With,
    Binding[] In,
    Clause[] Where,
    object Form);

internal sealed record RuleBranch(Symbol[] Head, int Required, Clause[] Body, object Form);

internal sealed record Rule(Symbol Name, List<RuleBranch> Branches);

/// <summary>Reads query and rule data into the model, with the checks DataScript's parser makes.</summary>
internal static class QueryParser
{
    private const int MaxClauseDepth = 256;

    private static readonly Keyword KFind = Keyword.Intern("find"), KIn = Keyword.Intern("in"), KWhere = Keyword.Intern("where"),
        KWith = Keyword.Intern("with"), KKeys = Keyword.Intern("keys"), KStrs = Keyword.Intern("strs"), KSyms = Keyword.Intern("syms");

    /// <summary>A vector of query data: an <see cref="EdnVector"/> or any list that is not an <see cref="EdnList"/>.</summary>
    private static IReadOnlyList<object?>? Vec(object? x) => x is IReadOnlyList<object?> l and not EdnList ? l : null;

    public static ParsedQuery Parse(object form)
    {
        var parts = Sections(form);
        var find = parts.GetValueOrDefault(KFind) ?? throw new QueryException($"Query has no :find in {QueryException.Form(form)}");
        var (shape, elems) = ParseFind(find, form);
        object?[]? keys = null;
        foreach (var (k, kind) in new[] { (KKeys, 0), (KStrs, 1), (KSyms, 2) })
        {
            if (!parts.TryGetValue(k, out var ks)) continue;
            if (keys is not null) throw new QueryException($"Only one of :keys, :strs, :syms may be used in {QueryException.Form(form)}");
            keys = ks.Select(x => x is Symbol s ? kind switch { 0 => Keyword.Intern(s.FullName), 1 => (object)s.FullName, _ => s }
                : throw new QueryException($"Expected symbols after {k} in {QueryException.Form(form)}")).ToArray();
            if (shape is not (FindShape.Relation or FindShape.Tuple))
                throw new QueryException($"{k} can only be used with a relation or tuple find in {QueryException.Form(form)}");
            if (keys.Distinct(EdnEquality.Instance).Count() != keys.Length)
                throw new QueryException($"{k} repeats a name in {QueryException.Form(form)}");
            if (keys.Length != elems.Length)
                throw new QueryException($"Count of {k} ({keys.Length}) must match count of :find ({elems.Length}) in {QueryException.Form(form)}");
        }
        var with = (parts.GetValueOrDefault(KWith) ?? []).Select(w => Terms.IsVar(w) ? (Symbol)w! : throw new QueryException($"Expected variables in :with, got {QueryException.Form(w)}")).ToArray();
        var inForms = parts.TryGetValue(KIn, out var ins) ? ins : [Terms.DefaultSource];
        var inputs = inForms.Select(i => ParseInBinding(i, 0)).ToArray();
        var where = ParseClauses(parts.GetValueOrDefault(KWhere) ?? [], 0, topLevel: true);

        // variables of :find and :with must come from :in or :where
        var known = new HashSet<Symbol>();
        foreach (var b in inputs) { var l = new List<Symbol>(); b.CollectVars(l); known.UnionWith(l); }
        foreach (var c in where) CollectAllVars(c, known);
        var findVars = new List<Symbol>();
        foreach (var e in elems)
        {
            switch (e)
            {
                case FindVar v: findVars.Add(v.Var); break;
                case FindPull p:
                    findVars.Add(p.Var);
                    if (Terms.IsVar(p.Pattern)) findVars.Add((Symbol)p.Pattern!);
                    break;
                case FindAggregate a: findVars.AddRange(a.Args.Where(Terms.IsVar).Cast<Symbol>()); break;
            }
        }
        var unknown = findVars.Concat(with).Where(v => !known.Contains(v)).Distinct().ToList();
        if (unknown.Count > 0)
            throw new QueryException($"Query for unknown vars: {QueryException.Form(new EdnVector(unknown))} in {QueryException.Form(form)}");
        var inFind = with.Where(w => elems.Any(e => e is FindVar fv && fv.Var.Equals(w) || e is FindPull fp && fp.Var.Equals(w))).ToList();
        if (inFind.Count > 0)
            throw new QueryException($":find and :with should not use same variables: {QueryException.Form(new EdnVector(inFind))} in {QueryException.Form(form)}");
        var inVars = new List<Symbol>();
        foreach (var b in inputs) b.CollectVars(inVars);
        if (inVars.Count != inVars.Distinct().Count())
            throw new QueryException($"Variables bound twice in :in in {QueryException.Form(form)}");
        var usesRules = where.Any(ContainsRuleCall);
        if (usesRules && !inputs.Any(i => i is BindRules))
            throw new QueryException($"Missing rules var '%' in :in of {QueryException.Form(form)}");
        return new ParsedQuery(shape, elems, keys, with, inputs, where, form);
    }

    internal static bool ContainsRuleCall(Clause c) => c switch
    {
        RuleCall => true,
        NotClause n => n.Body.Any(ContainsRuleCall),
        OrClause o => o.Branches.Any(b => b.Any(ContainsRuleCall)),
        _ => false,
    };

    internal static void CollectAllVars(Clause c, HashSet<Symbol> into)
    {
        switch (c)
        {
            case NotClause n: // a not binds nothing outside it
                break;
            case OrClause o: into.UnionWith(o.JoinVars); break;
            default: into.UnionWith(c.Vars); break;
        }
    }

    private static Dictionary<Keyword, List<object?>> Sections(object form)
    {
        var result = new Dictionary<Keyword, List<object?>>();
        if (form is IReadOnlyDictionary<object, object?> map)
        {
            foreach (var (k, v) in map)
            {
                if (k is not Keyword kw) throw new QueryException($"Query keys must be keywords in {QueryException.Form(form)}");
                result[kw] = v is IReadOnlyList<object?> l ? l.ToList() : throw new QueryException($"{kw} must be a vector in {QueryException.Form(form)}");
            }
            return result;
        }
        if (form is not IReadOnlyList<object?> list) throw new QueryException($"Query must be a vector or a map, got {QueryException.Form(form)}");
        List<object?>? current = null;
        foreach (var item in list)
        {
            if (item is Keyword kw)
            {
                if (kw != KFind && kw != KIn && kw != KWhere && kw != KWith && kw != KKeys && kw != KStrs && kw != KSyms)
                    throw new QueryException($"Unknown query section {kw} in {QueryException.Form(form)}");
                if (result.ContainsKey(kw)) throw new QueryException($"Query section {kw} appears twice in {QueryException.Form(form)}");
                result[kw] = current = [];
            }
            else if (current is null) throw new QueryException($"Query must start with a keyword, got {QueryException.Form(item)}");
            else current.Add(item);
        }
        return result;
    }

    private static (FindShape, FindElem[]) ParseFind(List<object?> find, object form)
    {
        if (find.Count == 2 && find[1] is Symbol { Name: "." } && Vec(find[0]) is null)
            return (FindShape.Scalar, [ParseFindElem(find[0], form)]);
        if (find.Count == 1 && find[0] is IReadOnlyList<object?> v && v is not EdnList)
        {
            if (v.Count == 2 && v[1] is Symbol { Name: "..." }) return (FindShape.Collection, [ParseFindElem(v[0], form)]);
            if (v.Count == 0) throw new QueryException($"Empty :find tuple in {QueryException.Form(form)}");
            return (FindShape.Tuple, v.Select(x => ParseFindElem(x, form)).ToArray());
        }
        if (find.Count == 0) throw new QueryException($":find needs at least one element in {QueryException.Form(form)}");
        return (FindShape.Relation, find.Select(x => ParseFindElem(x, form)).ToArray());
    }

    private static FindElem ParseFindElem(object? x, object form)
    {
        if (Terms.IsVar(x)) return new FindVar((Symbol)x!);
        if (x is EdnList { Count: > 0 } l && l[0] is Symbol fn)
        {
            if (fn.FullName == "pull")
            {
                if (l.Count == 3 && Terms.IsVar(l[1])) return new FindPull(Terms.DefaultSource, (Symbol)l[1]!, l[2]);
                if (l.Count == 4 && Terms.IsSource(l[1]) && Terms.IsVar(l[2])) return new FindPull((Symbol)l[1]!, (Symbol)l[2]!, l[3]);
                throw new QueryException($"Cannot parse pull expression, expected (pull ?var pattern) in {QueryException.Form(x)}");
            }
            var args = l.Skip(1).ToArray();
            if (args.Length == 0 || !Terms.IsVar(args[^1]))
                throw new QueryException($"An aggregate takes a variable as its last argument in {QueryException.Form(x)}");
            if (!QueryAggregates.IsBuiltIn(fn.FullName) && QueryFunctions.Aggregate(fn.FullName) is null)
                throw new QueryException($"Unknown aggregate '{fn.FullName}' in {QueryException.Form(x)}");
            return new FindAggregate(fn, args, x);
        }
        throw new QueryException($"Cannot parse :find element {QueryException.Form(x)} in {QueryException.Form(form)}");
    }

    public static Binding ParseInBinding(object? x, int depth)
    {
        if (Terms.IsSource(x)) return new BindSource((Symbol)x!);
        if (Terms.IsRules(x)) return BindRules.Instance;
        return ParseBinding(x, depth);
    }

    public static Binding ParseBinding(object? x, int depth)
    {
        if (depth > MaxClauseDepth) throw new QueryException($"Binding nested too deep: {QueryException.Form(x)}");
        if (Terms.IsVar(x)) return new BindScalar((Symbol)x!);
        if (Terms.IsBlank(x)) return BindIgnore.Instance;
        if (Vec(x) is { Count: > 0 } v)
        {
            if (v.Count == 2 && v[1] is Symbol { Name: "..." }) return new BindColl(ParseBinding(v[0], depth + 1));
            if (v.Count == 1 && Vec(v[0]) is not null) return new BindColl(ParseBinding(v[0], depth + 1));
            return new BindTuple(v.Select(i => ParseBinding(i, depth + 1)).ToArray());
        }
        throw new QueryException($"Cannot parse binding, expected a variable, _, [?a ...], [?a ?b] or [[?a ?b]], got {QueryException.Form(x)}");
    }

    public static Clause[] ParseClauses(IEnumerable<object?> forms, int depth, bool topLevel = false) =>
        forms.Select(f => ParseClause(f, depth, topLevel)).ToArray();

    private static Clause ParseClause(object? form, int depth, bool topLevel)
    {
        if (depth > MaxClauseDepth || !RuntimeHelpers.TryEnsureSufficientExecutionStack())
            throw new QueryException($"Clauses nested too deep: {QueryException.Form(form)}");
        switch (form)
        {
            case IReadOnlyList<object?> v when v is not EdnList && v.Count > 0 && v[0] is EdnList call:
                return ParseFunction(v, call, depth);
            case IReadOnlyList<object?> v when v is not EdnList && v.Count > 0:
            {
                var i = 0;
                var source = Terms.DefaultSource;
                if (Terms.IsSource(v[0])) { source = (Symbol)v[0]!; i = 1; }
                var n = v.Count - i;
                if (n is < 1 or > 4) throw new QueryException($"Pattern must have 1 to 4 elements: {QueryException.Form(form)}");
                var terms = new object?[4];
                for (var k = 0; k < 4; k++) terms[k] = k < n ? v[i + k] : Terms.Blank;
                foreach (var t in terms)
                    if (t is Symbol s && !Terms.IsVar(s) && !Terms.IsBlank(s) && s.Name[0] is '$' or '%')
                        throw new QueryException($"Cannot parse pattern {QueryException.Form(form)}");
                return new PatternClause(form, source, terms);
            }
            case EdnList l when l.Count > 0:
            {
                var i = 0;
                var source = Terms.DefaultSource;
                if (Terms.IsSource(l[0])) { source = (Symbol)l[0]!; i = 1; }
                if (i >= l.Count || l[i] is not Symbol head) throw new QueryException($"Cannot parse clause {QueryException.Form(form)}");
                var rest = l.Skip(i + 1).ToList();
                switch (head.FullName)
                {
                    case "not":
                        if (rest.Count == 0) throw new QueryException($"(not) needs at least one clause: {QueryException.Form(form)}");
                        return new NotClause(form, source, null, ParseClauses(rest, depth + 1));
                    case "not-join":
                    {
                        if (rest.Count < 2 || Vec(rest[0]) is not { } jv || !jv.All(Terms.IsVar))
                            throw new QueryException($"Cannot parse not-join, expected (not-join [?vars] clauses...): {QueryException.Form(form)}");
                        return new NotClause(form, source, jv.Cast<Symbol>().ToArray(), ParseClauses(rest.Skip(1), depth + 1));
                    }
                    case "or":
                    {
                        if (rest.Count == 0) throw new QueryException($"(or) needs at least one clause: {QueryException.Form(form)}");
                        var branches = rest.Select(b => ParseBranch(b, depth + 1)).ToArray();
                        var sets = branches.Select(b => BranchVars(b)).ToList();
                        if (sets.Any(s => !s.SetEquals(sets[0])))
                            throw new QueryException($"All clauses in 'or' must use same set of free vars, had {QueryException.Form(new EdnVector(sets.Select(s => (object?)new EdnSet(s))))} in {QueryException.Form(form)}");
                        return new OrClause(form, source, sets[0].ToArray(), 0, branches, false);
                    }
                    case "or-join":
                    {
                        if (rest.Count < 2 || Vec(rest[0]) is not { } jv)
                            throw new QueryException($"Cannot parse or-join, expected (or-join [?vars] clauses...): {QueryException.Form(form)}");
                        var vars = new List<Symbol>();
                        var required = 0;
                        var items = jv.ToList();
                        if (items.Count > 0 && Vec(items[0]) is { } req)
                        {
                            if (!req.All(Terms.IsVar)) throw new QueryException($"Cannot parse or-join variables in {QueryException.Form(form)}");
                            vars.AddRange(req.Cast<Symbol>());
                            required = req.Count;
                            items.RemoveAt(0);
                        }
                        if (!items.All(Terms.IsVar)) throw new QueryException($"Cannot parse or-join variables in {QueryException.Form(form)}");
                        vars.AddRange(items.Cast<Symbol>());
                        var branches = rest.Skip(1).Select(b => ParseBranch(b, depth + 1)).ToArray();
                        foreach (var b in branches)
                        {
                            var bv = BranchVars(b);
                            var missing = vars.Where(x => !bv.Contains(x)).ToList();
                            if (missing.Count > 0)
                                throw new QueryException($"Insufficient bindings: {QueryException.Vars(missing)} not bound in {QueryException.Form(form)}");
                        }
                        return new OrClause(form, source, vars.ToArray(), required, branches, true);
                    }
                    case "and":
                        throw new QueryException($"(and ...) is only allowed inside (or ...): {QueryException.Form(form)}");
                    default:
                        if (head.Name.StartsWith('?') || head.Name.StartsWith('$'))
                            throw new QueryException($"Cannot parse clause {QueryException.Form(form)}");
                        return new RuleCall(form, head, rest.ToArray());
                }
            }
            default:
                throw new QueryException($"Cannot parse clause, expected a pattern, a predicate, a function, a rule or not/or: {QueryException.Form(form)}");
        }
    }

    private static HashSet<Symbol> BranchVars(Clause[] branch)
    {
        var s = new HashSet<Symbol>();
        foreach (var c in branch) CollectAllVars(c, s);
        return s;
    }

    private static Clause[] ParseBranch(object? form, int depth)
    {
        if (form is EdnList { Count: > 0 } l && l[0] is Symbol { FullName: "and" })
        {
            if (l.Count < 2) throw new QueryException($"(and) needs at least one clause: {QueryException.Form(form)}");
            return ParseClauses(l.Skip(1), depth + 1);
        }
        return [ParseClause(form, depth, false)];
    }

    private static Clause ParseFunction(IReadOnlyList<object?> form, EdnList call, int depth)
    {
        if (call.Count == 0 || call[0] is not Symbol fn)
            throw new QueryException($"Cannot parse function call, expected a symbol first: {QueryException.Form(form)}");
        // a variable names a function passed as an input (a Func<object?[], object?>)
        if (!Terms.IsVar(fn) && !QueryBuiltIns.IsBuiltIn(fn.FullName) && QueryFunctions.Function(fn.FullName) is null)
            throw new QueryException($"Unknown function '{fn} in {QueryException.Form(form)}");
        var args = call.Skip(1).ToArray();
        return form.Count switch
        {
            1 => new FunctionClause(form, fn, args, null),
            2 => new FunctionClause(form, fn, args, ParseBinding(form[1], depth + 1)),
            _ => throw new QueryException($"Cannot parse function clause, expected [(f args...)] or [(f args...) binding]: {QueryException.Form(form)}"),
        };
    }

    public static Dictionary<Symbol, Rule> ParseRules(object? input)
    {
        if (input is string text)
        {
            try { input = EdnReader.Read(text); }
            catch (EdnReadException e) { throw new QueryException($"Cannot read rules: {e.Message}", e); }
        }
        if (input is not IReadOnlyList<object?> list)
            throw new QueryException($"Rules must be a vector of rule vectors, got {QueryException.Form(input)}");
        var rules = new Dictionary<Symbol, Rule>();
        foreach (var r in list)
        {
            if (r is not IReadOnlyList<object?> { Count: > 0 } rv || rv[0] is not EdnList { Count: > 0 } head || head[0] is not Symbol name)
                throw new QueryException($"Cannot parse rule, expected [(name ?args...) clauses...]: {QueryException.Form(r)}");
            var vars = new List<Symbol>();
            var required = 0;
            var items = head.Skip(1).ToList();
            if (items.Count > 0 && Vec(items[0]) is { } req)
            {
                if (!req.All(Terms.IsVar)) throw new QueryException($"Cannot parse rule head {QueryException.Form(head)}");
                vars.AddRange(req.Cast<Symbol>());
                required = req.Count;
                items.RemoveAt(0);
            }
            if (!items.All(Terms.IsVar)) throw new QueryException($"Cannot parse rule head {QueryException.Form(head)}: arguments must be variables");
            vars.AddRange(items.Cast<Symbol>());
            if (vars.Count != vars.Distinct().Count()) throw new QueryException($"Rule head repeats a variable: {QueryException.Form(head)}");
            var body = ParseClauses(rv.Skip(1), 1);
            if (body.Length == 0) throw new QueryException($"Rule has no clauses: {QueryException.Form(r)}");
            if (!rules.TryGetValue(name, out var rule)) rules[name] = rule = new Rule(name, []);
            else if (rule.Branches[0].Head.Length != vars.Count)
                throw new QueryException($"Arity mismatch for rule '{name}': {QueryException.Form(rule.Branches[0].Form)} vs {QueryException.Form(head)}");
            rule.Branches.Add(new RuleBranch(vars.ToArray(), required, body, r));
        }
        return rules;
    }
}
