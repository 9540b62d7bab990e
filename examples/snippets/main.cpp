// The snippets are functions that a host would call; linking them into one program checks
// that everything they use is declared in the installed headers and defined in the libraries.
int main() { return 0; }
