package answer
import ("testing";"fmt";"os";"consultd/internal/mimeparse";"consultd/internal/reply")
func TestZZ(t *testing.T){
 ins := append(fixtureMessages(t), sharedCorpusInputs()...)
 for _, i := range []int{191, 190} {
 m, _ := mimeparse.Parse(ins[i]); tr := reply.Trim(Body(m))
 os.WriteFile(fmt.Sprintf("/tmp/in%d.txt", i), []byte(tr), 0o644)
 }
}
func BenchmarkZZ(b *testing.B){ r := NewReader(); t, _ := os.ReadFile("/tmp/in191.txt"); s := string(t); for i:=0;i<b.N;i++ { r.Parse(s) } }
