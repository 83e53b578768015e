// English function words that carry no vocabulary value: articles, pronouns, auxiliaries, prepositions,
// conjunctions, common adverbs and their contractions. Compared after lower-casing and apostrophe folding.
const words = `
a about above after again against ago all almost also although always am among an and another any anybody
anyone anything anyway anywhere are aren't around as at away back be became because become been before
being below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't done
down during each either else enough etc even ever every everybody everyone everything everywhere few for
from further get gets getting got gotten had hadn't has hasn't have haven't having he he'd he'll he's her
here here's hers herself him himself his how how's however i i'd i'll i'm i've if in into is isn't it it'd
it'll it's its itself just kind let let's like lot lots may maybe me might mine more most much must mustn't
my myself near need neither never no nobody none nor not nothing now of off often oh ok okay on once one
ones only onto or other others otherwise ought our ours ourselves out over own per perhaps please quite
rather really right said same say says see seem seems shall shan't she she'd she'll she's should shouldn't
since so some somebody someone something sometimes somewhat somewhere soon still such sure than that
that's the their theirs them themselves then there there's therefore these they they'd they'll they're
they've thing things this those though through thus till to too toward towards uh um under until up upon
us very via was wasn't we we'd we'll we're we've well were weren't what what's whatever when when's where
where's whether which while who who's whom whose why why's will with within without won't would wouldn't
yeah yes yet you you'd you'll you're you've your yours yourself yourselves
`;

export const STOP_WORDS: ReadonlySet<string> = new Set(words.split(/\s+/).filter((w) => w.length > 0));
